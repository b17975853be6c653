import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths pino replaces with "[redacted]" wherever they appear in a log object. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'readKey',
  '*.readKey',
  '*.read_key',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'connectionString',
  '*.connectionString',
];

// Query strings can carry ThingSpeak keys (`api_key=`) into URLs that end up in messages.
const SECRET_IN_TEXT = /((?:api_key|apikey|key|password|token)=)[^&\s"']+/gi;
const PASSWORD_IN_URL = /(\w+:\/\/[^:/\s]*:)[^@\s]+@/g;

/** Removes credentials embedded in free text (URLs in error messages). */
export function scrubSecrets(text: string): string {
  return text.replace(SECRET_IN_TEXT, '$1****').replace(PASSWORD_IN_URL, '$1****@');
}

export interface LoggerOptions {
  service: string;
  version: string;
  level: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to inspect lines. */
  destination?: pino.DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: opts.service, version: opts.version },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      serializers: {
        err: (err: unknown) => {
          const s = pino.stdSerializers.err(err as Error);
          if (s && typeof s.message === 'string') s.message = scrubSecrets(s.message);
          if (s && typeof s.stack === 'string') s.stack = scrubSecrets(s.stack);
          return s;
        },
      },
      hooks: {
        logMethod(args, method) {
          // The message string itself is scrubbed too: an upstream URL may be interpolated into it.
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as typeof args;
          return method.apply(this, scrubbed);
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}
