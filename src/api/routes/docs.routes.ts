import path from 'node:path';
import { Router, type Express } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../../shared/errors';
import { routeTableOf } from '../introspection/route-table';
import { buildOpenApiDocument, type OpenApiDocument } from '../openapi/openapi-document';
import { apiDoc } from '../openapi/route-doc';

// swagger-ui-dist ships the built UI; we serve only the files the page below loads.
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_UI_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'] as const;
const INIT_SCRIPT = 'evara-docs.js';

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Evara API documentation</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/${INIT_SCRIPT}"></script>
</body>
</html>
`;

// A script file rather than an inline one, so a Content-Security-Policy without 'unsafe-inline' still works.
// validatorUrl null: the UI must not send the document to an outside validator.
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, docExpansion: 'list', defaultModelsExpandDepth: 0, displayRequestDuration: true, validatorUrl: null });\n`;

/**
 * GET /openapi.json (generated on first request from the mounted routes' docs, then cached) and
 * GET /docs (Swagger UI over it). Both public: the document holds no secrets.
 */
export function docsRoutes(app: Express, version: string): Router {
  const router = Router();
  let document: OpenApiDocument | undefined;

  router.get(
    '/openapi.json',
    apiDoc({
      summary: 'This API as an OpenAPI 3.0 document',
      description: 'Generated from the route table and the zod schemas that validate each request.',
      tag: 'documentation',
      auth: 'public',
      responses: { 200: { description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
    }),
    (_req, res) => {
      document ??= buildOpenApiDocument(routeTableOf(app), { version });
      res.json(document);
    },
  );

  router.get(
    '/docs',
    apiDoc({
      summary: 'Swagger UI over /openapi.json',
      tag: 'documentation',
      auth: 'public',
      responses: { 200: { description: 'An HTML page', contentType: 'text/html', schema: z.string() } },
    }),
    (_req, res) => {
      // Swagger UI sends requests with whatever key is typed into it: no framing by other sites.
      res.setHeader('X-Frame-Options', 'DENY');
      res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
      res.type('html').send(PAGE);
    },
  );

  router.get(
    '/docs/:asset',
    apiDoc({
      summary: 'A static file of the Swagger UI page',
      description: `One of: ${[...SWAGGER_UI_FILES, INIT_SCRIPT].join(', ')}.`,
      tag: 'documentation',
      auth: 'public',
      responses: { 200: { description: 'The file (CSS, JavaScript or PNG)', contentType: '*/*', schema: z.string() } },
      errors: { 404: 'No such file' },
    }),
    (req, res) => {
      const asset = String(req.params.asset);
      if (asset === INIT_SCRIPT) {
        res.type('application/javascript').send(INIT);
        return;
      }
      if (!(SWAGGER_UI_FILES as readonly string[]).includes(asset)) throw new NotFoundError(`No documentation file named ${asset}`, 'ASSET_NOT_FOUND');
      res.sendFile(path.join(SWAGGER_UI_DIR, asset), { maxAge: '1h' });
    },
  );

  return router;
}
