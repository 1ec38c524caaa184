/** service: a systemd service: running, enabled, restarted. */
import { moduleFunction } from '../../task/task.ts';
import { serviceModule } from './service.ts';

export { serviceModule };

export const service = moduleFunction(serviceModule);
