import { redactUrl } from '../../../src/shared/telemetry/redact-url';

describe('redactUrl', () => {
  test('when a ThingSpeak URL carries a read key, then its value is replaced and the rest is kept byte for byte', () => {
    const url = 'https://api.thingspeak.com/channels/12/feeds.json?results=8000&start=2026-11-30%2000:00:00&timezone=UTC&api_key=ABCDEF123456';
    expect(redactUrl(url)).toBe('https://api.thingspeak.com/channels/12/feeds.json?results=8000&start=2026-11-30%2000:00:00&timezone=UTC&api_key=REDACTED');
  });

  test.each(['ticket', 'token', 'KEY', 'Api_Key', 'password', 'sig'])('when the query has %s=..., then its value is redacted whatever its case', (name) => {
    expect(redactUrl(`http://h/p?a=1&${name}=s3cret`)).toBe(`http://h/p?a=1&${name}=REDACTED`);
  });

  test('when the URL has a password in its authority, then it is redacted too', () => {
    expect(redactUrl('http://user:pw1234@h:8080/p')).toBe('http://user:REDACTED@h:8080/p');
  });

  test('when the URL cannot be parsed, then nothing of it is kept', () => {
    expect(redactUrl('not a url api_key=x')).toBe('REDACTED');
  });

  test('when the query has no secret, then the URL is unchanged', () => {
    expect(redactUrl('http://h/channels/1/feeds.json?results=0')).toBe('http://h/channels/1/feeds.json?results=0');
  });
});
