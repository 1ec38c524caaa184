/** apt: packages and repositories on Debian and Ubuntu hosts. */
import { moduleFunction } from '../../task/task.ts';
import { aptPackagesModule } from './packages.ts';
import { aptRepositoryModule } from './repository.ts';

export { aptPackagesModule, aptRepositoryModule };

/** `apt.packages({ names: ['nginx'], state: 'present' })`: all names in one apt-get transaction. */
export const packages = moduleFunction(aptPackagesModule);

/** `apt.repository({ name: 'sid', source: 'deb http://deb.debian.org/debian sid main', pin: { release: 'sid', priority: 100 } })` */
export const repository = moduleFunction(aptRepositoryModule);
