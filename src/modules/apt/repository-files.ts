import type { AptRepositoryArgs, Deb822Source } from './repository-schema.ts';

export interface RepositoryPaths {
  list: string;
  sources: string;
  pin: string;
}

export function repositoryPaths(name: string): RepositoryPaths {
  return {
    list: `/etc/apt/sources.list.d/${name}.list`,
    sources: `/etc/apt/sources.list.d/${name}.sources`,
    pin: `/etc/apt/preferences.d/${name}`,
  };
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

/** deb822 multi-line field: continuation lines start with a space; empty lines become " .". */
function multiline(value: string): string {
  const lines = value.trim().split('\n');
  return [lines[0], ...lines.slice(1).map((l) => (l.trim() === '' ? ' .' : ` ${l}`))].join('\n');
}

export function renderDeb822(source: Deb822Source): string {
  const fields: [string, string | undefined][] = [
    ['Types', source.types.join(' ')],
    ['URIs', source.uris.join(' ')],
    ['Suites', source.suites.join(' ')],
    ['Components', source.components.length ? source.components.join(' ') : undefined],
    ['Architectures', source.architectures?.join(' ')],
    ['Check-Valid-Until', source.checkValidUntil === undefined ? undefined : yesNo(source.checkValidUntil)],
    ['Trusted', source.trusted === undefined ? undefined : yesNo(source.trusted)],
    ['Signed-By', source.signedBy === undefined ? undefined : multiline(source.signedBy)],
  ];
  return `${fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n')}\n`;
}

/** A bare word is a codename (what `apt-get -t sid` matches); anything with `=` is used as written. */
export function renderPin(pin: NonNullable<AptRepositoryArgs['pin']>): string {
  const what = pin.origin !== undefined ? `origin ${pin.origin}` : `release ${pin.release!.includes('=') ? pin.release : `n=${pin.release}`}`;
  return `Package: ${pin.packages}\nPin: ${what}\nPin-Priority: ${pin.priority}\n`;
}

/** The wanted content of each of the three files (null = must not exist). */
export function wantedFiles(args: AptRepositoryArgs): Record<keyof RepositoryPaths, string | null> {
  if (args.state === 'absent') return { list: null, sources: null, pin: null };
  const oneLine = typeof args.source === 'string';
  return {
    list: oneLine ? `${(args.source as string).trim()}\n` : null,
    sources: oneLine ? null : renderDeb822(args.source as Deb822Source),
    pin: args.pin ? renderPin(args.pin) : null,
  };
}
