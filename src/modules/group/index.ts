/** group: a local group. */
import { moduleFunction } from '../../task/task.ts';
import { groupModule } from './group.ts';

export { groupModule };

export const group = moduleFunction(groupModule);
