/** sysctl: kernel parameters, persisted. */
import { moduleFunction } from '../../task/task.ts';
import { sysctlModule } from './sysctl.ts';

export { sysctlModule };

export const sysctl = moduleFunction(sysctlModule);
