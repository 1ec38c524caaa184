/** A small role: the login message, from a template. */
import { file, type TaskList } from 'shipshape';

export interface BaseOptions {
  /** The line shown at login. */
  message: string;
}

export function baseRole(options: BaseOptions): TaskList {
  return [file.template({ src: '../templates/motd.ejs', dest: '/etc/motd', mode: '0644', vars: { message: options.message } })];
}
