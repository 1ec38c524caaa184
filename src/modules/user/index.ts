/** user: a local account and its SSH authorized keys. */
import { moduleFunction } from '../../task/task.ts';
import { userModule } from './user.ts';

export { userModule };

export const user = moduleFunction(userModule);
