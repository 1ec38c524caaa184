/**
 * `shipshape vault encrypt|decrypt|view|edit FILE` and `vault encrypt-string`. The password comes
 * from --vault-password-file, $SHIPSHAPE_VAULT_PASSWORD_FILE or $SHIPSHAPE_VAULT_PASSWORD, never
 * from a command-line value (argv is visible to every user in the process list).
 */
import type { Command } from 'commander';
import { ConfigError } from '../errors.ts';
import { decryptFile, editFile, encryptFile, viewFile } from '../secrets/vault-file.ts';
import { encryptValue, readVaultPassword } from '../secrets/vault.ts';

interface VaultCliOptions {
  vaultPasswordFile?: string;
}

async function readStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The line to paste into an inventory for a value read from stdin. One final newline (from `echo` or
 * the terminal) is not part of the value.
 */
export async function encryptString(value: string, password: string, name?: string): Promise<string> {
  const plain = value.replace(/\r?\n$/, '');
  if (plain === '') throw new ConfigError('vault encrypt-string: the value on standard input is empty');
  const line = await encryptValue(plain, password);
  return name ? `${name}: { $vault: "${line}" }` : line;
}

const passwordOption = ['--vault-password-file <file>', 'file holding the vault password'] as const;

export function registerVaultCommand(program: Command): void {
  const vault = program
    .command('vault')
    .description('encrypt secrets (AES-256-GCM, scrypt); password from SHIPSHAPE_VAULT_PASSWORD_FILE, SHIPSHAPE_VAULT_PASSWORD or --vault-password-file');
  const password = (options: VaultCliOptions) => readVaultPassword({ passwordFile: options.vaultPasswordFile });

  vault
    .command('encrypt')
    .argument('<file>')
    .description('encrypt a file in place')
    .option(...passwordOption)
    .action(async (file: string, options: VaultCliOptions) => {
      await encryptFile(file, await password(options));
      process.stderr.write(`encrypted ${file}\n`);
    });

  vault
    .command('decrypt')
    .argument('<file>')
    .description('decrypt a file in place')
    .option(...passwordOption)
    .action(async (file: string, options: VaultCliOptions) => {
      await decryptFile(file, await password(options));
      process.stderr.write(`decrypted ${file}\n`);
    });

  vault
    .command('view')
    .argument('<file>')
    .description('print the decrypted content of a file')
    .option(...passwordOption)
    .action(async (file: string, options: VaultCliOptions) => {
      process.stdout.write(await viewFile(file, await password(options)));
    });

  vault
    .command('edit')
    .argument('<file>')
    .description('edit an encrypted file with $EDITOR (created if missing)')
    .option(...passwordOption)
    .action(async (file: string, options: VaultCliOptions) => {
      const changed = await editFile(file, await password(options));
      process.stderr.write(changed ? `saved ${file}\n` : `no change to ${file}\n`);
    });

  vault
    .command('encrypt-string')
    .description('encrypt the value read from standard input; prints the line to paste into an inventory')
    .option('--name <variable>', 'print it as a YAML entry for this variable')
    .option(...passwordOption)
    .action(async (options: VaultCliOptions & { name?: string }) => {
      const secretPassword = await password(options);
      if (process.stdin.isTTY) process.stderr.write('value (end with Ctrl-D): ');
      process.stdout.write(`${await encryptString(await readStdin(), secretPassword, options.name)}\n`);
    });
}
