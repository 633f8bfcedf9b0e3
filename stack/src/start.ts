/** `npm start`: the whole center on the embedded defaults, until Ctrl+C. */
import { startStack } from './stack.ts';

const port = process.env.PORT ? Number(process.env.PORT) : 3000;
const stack = await startStack({ logs: 'inherit', port });
const pad = (s: string, n: number) => s.padEnd(n);
process.stdout.write(
  [
    '',
    `  Contact center is running at ${stack.url}`,
    '',
    '  Demo logins:',
    ...stack.logins.map((l) => `    ${pad(l.role, 11)} ${pad(l.email, 26)} ${l.password}`),
    '',
    `  A customer call: log in as an agent, set yourself Available, create a call link and open it.`,
    '  Press Ctrl+C to stop.',
    '',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void stack.stop().finally(() => process.exit(0));
  });
}
