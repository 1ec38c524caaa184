/**
 * The file modules, as playbooks call them: `file.template({ src, dest, mode: '0644' })`.
 * Each lives in src/modules/file/ with its pure planner next to it.
 */
import { moduleFunction } from '../../task/task.ts';
import { fileAbsentModule } from './absent.ts';
import { fileCopyModule } from './copy.ts';
import { fileDirectoryModule } from './directory.ts';
import { fileLineModule } from './line.ts';
import { fileLinkModule } from './link.ts';
import { fileTemplateModule } from './template.ts';

export { fileAbsentModule, fileCopyModule, fileDirectoryModule, fileLineModule, fileLinkModule, fileTemplateModule };

export const file = {
  directory: moduleFunction(fileDirectoryModule),
  copy: moduleFunction(fileCopyModule),
  template: moduleFunction(fileTemplateModule),
  absent: moduleFunction(fileAbsentModule),
  link: moduleFunction(fileLinkModule),
  line: moduleFunction(fileLineModule),
};
