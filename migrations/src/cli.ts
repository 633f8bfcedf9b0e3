/** `npm run migrate -w migrations`: migrates DATABASE_URL to the newest schema. */
import { migrateToLatest } from './migrator.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL is not set\n');
  process.exit(2);
}
const applied = await migrateToLatest(url);
process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
