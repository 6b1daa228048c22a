// Lints the OpenAPI document read from stdin with Redocly's `recommended` rules and prints the problems
// as JSON. A child process because @redocly/openapi-core is an ES module, which jest (CommonJS) cannot load.
import { createConfig, lintFromString } from '@redocly/openapi-core';

let source = '';
for await (const chunk of process.stdin) source += chunk;
const config = await createConfig({ extends: ['recommended'] });
const problems = await lintFromString({ source, absoluteRef: 'openapi.json', config });
process.stdout.write(
  JSON.stringify(
    problems.map((problem) => ({
      severity: problem.severity,
      ruleId: problem.ruleId,
      message: problem.message,
      pointer: problem.location?.[0]?.pointer ?? '',
    })),
  ),
);
