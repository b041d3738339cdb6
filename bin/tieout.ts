#!/usr/bin/env node
// The tieout executable: hands this process's arguments, environment and streams to the CLI and exits with its code.
import { buildProgram } from './cli.ts';

const cli = buildProgram({
  cwd: process.cwd(),
  env: process.env,
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  isTty: process.stderr.isTTY === true,
});
process.exitCode = await cli.run(process.argv.slice(2));
