import { runDoctor } from './run-doctor';
import { checkColumnWidth, colourise, exitCodeOf, formatFinding, summaryLine } from './report';
import { createSecretScrubber } from './secret-scrubber';

/**
 * `npm run doctor`: checks the configuration and every dependency, prints one line per finding
 * and exits 1 when something must be fixed (2 if the doctor itself failed). Reads process.env here
 * only and hands it down, like the other entry points.
 */
async function main(): Promise<number> {
  const env = process.env;
  const scrub = createSecretScrubber(env);
  const colour = Boolean(process.stdout.isTTY) && !env.NO_COLOR;
  try {
    const findings = await runDoctor(env);
    const width = checkColumnWidth(findings);
    const lines = findings.map((f) => {
      const line = scrub(formatFinding(f, width));
      return colour ? colourise(line, f.level) : line;
    });
    lines.push(summaryLine(findings));
    await write(`${lines.join('\n')}\n`);
    return exitCodeOf(findings);
  } catch (err) {
    await write(`${scrub(`FIX  doctor  the doctor itself failed: ${(err as Error).stack ?? String(err)}`)}\n`);
    return 2;
  }
}

function write(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}

// Exit explicitly: a probe abandoned at its deadline may still hold a socket open.
if (require.main === module) void main().then((code) => process.exit(code));
