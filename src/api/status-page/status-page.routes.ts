import path from 'node:path';
import express, { Router, type Response } from 'express';
import { z } from 'zod';
import { labelMount } from '../metrics/route-label';
import { apiDoc, type RouteDoc } from '../openapi/route-doc';

/**
 * The static files of the page. Beside this module in src/ (tsx, tests) and in dist/ after
 * `npm run build`, whose postbuild step copies them (tsc copies only .ts output).
 */
export const STATUS_PAGE_DIR = path.join(__dirname, 'public');

/**
 * uPlot's browser build and stylesheet, served from node_modules (a dependency, so it is there in
 * production too), never a CDN: the CSP allows scripts from this origin only. Resolved through
 * the package so it works from src/ and from dist/ alike.
 */
export const VENDOR_DIR = path.dirname(require.resolve('uplot/dist/uPlot.min.css'));

/** The only vendor files the page loads: a name not listed here is a 404, not a file of the package. */
export const VENDOR_FILES: ReadonlySet<string> = new Set(['uPlot.iife.min.js', 'uPlot.min.css']);

/** A day: the vendor files change only when the package is upgraded (ETag revalidates after). */
const VENDOR_MAX_AGE_S = 86_400;

/**
 * Only our own script and stylesheet run; API calls and the live socket go to this origin.
 * No inline script or style, no framing (clickjacking), no plugins.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  // 'self' covers this origin's ws:/wss: in current browsers; bare ws: would allow any host.
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', STATUS_PAGE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

const DOCS = {
  page: {
    summary: 'The status page for people: system health, nodes and open alerts, updated live',
    description: 'Asks for an API key in the browser and keeps it in sessionStorage; the data comes from /health and the API with that key.',
    tag: 'status page',
    auth: 'public',
    responses: { 200: { description: 'An HTML page', contentType: 'text/html', schema: z.string() } },
  },
  assets: {
    summary: "The status page's scripts and stylesheet",
    description:
      'Files below this path: /status/assets/status.js, status.css, and the node view\'s api-client.js, node-history-client.js, node-charts.js and node-detail.js. The path itself names no file.',
    tag: 'status page',
    auth: 'public',
    responses: { 200: { description: 'A script or the stylesheet', contentType: '*/*', schema: z.string() } },
    errors: { 404: 'No such file (as for /status/assets itself)' },
    methods: ['get'],
  },
  vendor: {
    summary: "The charting library of the status page's node view (uPlot, from its npm package)",
    description: 'Two files below this path, served from this API (no CDN) and cached for a day: /status/assets/vendor/uPlot.iife.min.js and /status/assets/vendor/uPlot.min.css.',
    tag: 'status page',
    auth: 'public',
    responses: { 200: { description: 'The script or the stylesheet', contentType: '*/*', schema: z.string() } },
    errors: { 404: 'Any other name (the package holds more files; they are not served)' },
    methods: ['get'],
  },
} satisfies Record<string, RouteDoc>;

/**
 * The status page for people at / and /status: system health, nodes and open alerts, updated
 * live. Public files only: the page asks for an API key and calls the API with it.
 */
export function statusPageRoutes(): Router {
  const router = Router();
  router.get(['/', '/status'], apiDoc(DOCS.page), (_req, res) => {
    securityHeaders(res);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile('index.html', { root: STATUS_PAGE_DIR });
  });
  router.use('/status/assets/vendor', apiDoc(DOCS.vendor), labelMount(), (req, res, next) => {
    const file = req.path.slice(1);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !VENDOR_FILES.has(file)) return next(); // the app's 404
    securityHeaders(res);
    res.sendFile(file, { root: VENDOR_DIR, maxAge: VENDOR_MAX_AGE_S * 1000 });
  });
  router.use(
    '/status/assets',
    apiDoc(DOCS.assets),
    labelMount(),
    express.static(STATUS_PAGE_DIR, {
      index: false,
      // No 301 from /status/assets to /status/assets/: the directory is not a page, so 404 as documented.
      redirect: false,
      fallthrough: true,
      // Not fingerprinted: revalidate so a deploy is picked up at once.
      cacheControl: true,
      maxAge: 0,
      setHeaders: (res) => securityHeaders(res),
    }),
  );
  return router;
}
