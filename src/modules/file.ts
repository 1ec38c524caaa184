/**
 * The file modules, as playbooks call them: `file.template({ src, dest, mode: '0644' })`.
 * Each lives in src/modules/file/ with its pure planner next to it.
 */
import { moduleFunction } from '../task/task.ts';
import { fileAbsentModule } from './file/absent.ts';
import { fileCopyModule } from './file/copy.ts';
import { fileDirectoryModule } from './file/directory.ts';
import { fileLineModule } from './file/line.ts';
import { fileLinkModule } from './file/link.ts';
import { fileTemplateModule } from './file/template.ts';

export { fileAbsentModule, fileCopyModule, fileDirectoryModule, fileLineModule, fileLinkModule, fileTemplateModule };

export const file = {
  directory: moduleFunction(fileDirectoryModule),
  copy: moduleFunction(fileCopyModule),
  template: moduleFunction(fileTemplateModule),
  absent: moduleFunction(fileAbsentModule),
  link: moduleFunction(fileLinkModule),
  line: moduleFunction(fileLineModule),
};
