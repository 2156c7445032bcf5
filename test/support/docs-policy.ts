/** The MAAS policy exactly as the MAAS docs' "How to enable Vault" page has admins write it (tabs and all). */
export function docsPolicy(mount: string, path: string): string {
  return [
    `path "${mount}/metadata/${path}/" {`,
    '\tcapabilities = ["list"]',
    '}',
    '',
    `path "${mount}/metadata/${path}/*" {`,
    '\tcapabilities = ["read", "update", "delete", "list"]',
    '}',
    '',
    `path "${mount}/data/${path}/*" {`,
    '\tcapabilities = ["read", "create", "update", "delete"]',
    '}',
    '',
  ].join('\n');
}
