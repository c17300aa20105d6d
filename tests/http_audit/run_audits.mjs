// Runs every graphql-http server audit (the GraphQL-over-HTTP conformance suite) against a URL.
//
//   node run_audits.mjs http://127.0.0.1:8000/graphql/
//
// Prints one line per audit, a summary per requirement level ("MUST 13/13") and a last line
// "N passed, M failed" that CI parses. Exits 1 when any audit fails, 2 on a usage or fatal error.
import { serverAudits } from 'graphql-http';

const LEVELS = ['MUST', 'SHOULD', 'MAY'];

function levelOf(name) {
  return LEVELS.find((level) => name.startsWith(`${level} `)) ?? 'OTHER';
}

async function main(url) {
  const audits = serverAudits({ url, fetchFn: fetch });
  // One at a time: a development server should not have to cope with 60 parallel requests,
  // and sequential output is easier to read next to the server log.
  const results = [];
  for (const audit of audits) {
    results.push(await audit.fn());
  }

  const totals = new Map(LEVELS.map((level) => [level, { passed: 0, total: 0 }]));
  for (const result of results) {
    const level = levelOf(result.name);
    if (!totals.has(level)) totals.set(level, { passed: 0, total: 0 });
    const total = totals.get(level);
    total.total += 1;
    if (result.status === 'ok') {
      total.passed += 1;
      console.log(`ok   ${level.padEnd(6)} ${result.id} ${result.name}`);
    } else {
      let detail = '';
      try {
        const body = await result.response.text();
        detail = ` [status ${result.response.status}, body ${body.replace(/\s+/g, ' ').slice(0, 200)}]`;
      } catch {
        // the body was already read by the audit
      }
      console.log(`FAIL ${level.padEnd(6)} ${result.id} ${result.name}: ${result.reason}${detail}`);
    }
  }

  console.log('');
  for (const [level, { passed, total }] of totals) {
    if (total > 0) console.log(`${level} ${passed}/${total}`);
  }
  const passed = results.filter((result) => result.status === 'ok').length;
  const failed = results.length - passed;
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

const url = process.argv[2];
if (!url) {
  console.error('usage: node run_audits.mjs URL');
  process.exit(2);
}
main(url).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`fatal: ${error?.stack ?? error}`);
    process.exit(2);
  },
);
