/** certbot: TLS certificates from an ACME CA. */
import { moduleFunction } from '../../task/task.ts';
import { certbotCertificateModule } from './certificate.ts';

export { certbotCertificateModule, certonlyCommand } from './certificate.ts';
/** The name before modules were named `<area><Op>Module`. */
export { certbotCertificateModule as certificateModule } from './certificate.ts';

export const certificate = moduleFunction(certbotCertificateModule);
