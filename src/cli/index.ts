// The CLI run from source through tsx (`npm run shipshape`, development); bin/shipshape.js runs the
// bundled build of main.ts instead.
import { main } from './main.ts';

await main(process.argv);
