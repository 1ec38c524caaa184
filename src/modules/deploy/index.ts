/** deploy: application releases, switched atomically. */
import { moduleFunction } from '../../task/task.ts';
import { deployReleaseModule } from './release.ts';

export { deployReleaseModule };

export const release = moduleFunction(deployReleaseModule);
