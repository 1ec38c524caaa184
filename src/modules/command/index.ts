/** command: programs and shell scripts, run unless their guards say the work is done. */
import { moduleFunction } from '../../task/task.ts';
import { commandRunModule, commandShellModule } from './run.ts';

export { commandRunModule, commandShellModule };
/** The names before modules were named `<area><Op>Module`. */
export { commandRunModule as runModule, commandShellModule as shellModule };

export const run = moduleFunction(commandRunModule);
export const shell = moduleFunction(commandShellModule);
