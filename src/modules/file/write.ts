/**
 * The one way the file and user modules write a file: atomically through the shared remote writer
 * (temp file in the target directory with its final owner and mode, validated, then renamed), with
 * the task's own become setting.
 */
import { writeRemoteAtomic } from '../../transport/remote-files.ts';
import type { TaskContext } from '../../task/types.ts';

export interface WriteOptions {
  owner?: string;
  group?: string;
  mode?: string;
  validate?: string;
  backup?: boolean;
}

export async function writeFile(ctx: TaskContext, path: string, content: Buffer, options: WriteOptions): Promise<void> {
  // No `become` given: the context runs the write with the task's setting.
  await writeRemoteAtomic(ctx, path, content, options);
}
