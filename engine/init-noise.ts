/**
 * Two paragraphs `init` prints that are advice for a hand-written Terraform project, not for
 * maas-vault's synthesized work directory: keep the lock file in version control (the work
 * directory is not a repository; maas-vault writes the file itself), and the lock file holds only
 * this platform's checksums (the provider comes from a local mirror, and no other platform ever
 * runs this directory). Both engines print them, wrapped differently per version, so each is
 * matched by its first and last lines.
 */
const PARAGRAPHS: { first: RegExp; last: RegExp }[] = [
  { first: /^\s*(Terraform|OpenTofu) has created a lock file \.terraform\.lock\.hcl/, last: /"(terraform|tofu) init" in the future\.\s*$/ },
  { first: /^\s*Warning: Incomplete lock file information for providers/, last: /^\s*\(where \S+ is the platform to generate\)\s*$/ },
];

/** A filter for engine lines in order: false for the lines of those paragraphs. */
export function initNoiseFilter(): (line: string) => boolean {
  let inside: (typeof PARAGRAPHS)[number] | undefined;
  let skipped = 0;
  return (line) => {
    if (inside) {
      // A paragraph longer than any engine prints is not the one matched: stop hiding lines.
      if (inside.last.test(line) || ++skipped >= 20) inside = undefined;
      return false;
    }
    inside = PARAGRAPHS.find((paragraph) => paragraph.first.test(line));
    skipped = 0;
    return inside === undefined;
  };
}
