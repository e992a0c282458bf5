/**
 * Text of MariaDB's INET4/INET6/UUID values from their stored bytes, written to match the server's own output
 * (`CAST(col AS CHAR)`), which the integration test checks address by address.
 */

export function inet4Text(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * MariaDB prints INET6 like BIND's inet_ntop except that even a single zero group is compressed: the longest run
 * of zero groups (leftmost on a tie) becomes '::'; a run of exactly groups 0–5, or of groups 0–4 followed by
 * ffff, ends in dotted IPv4 ('::1.2.3.4', '::ffff:1.2.3.4').
 */
export function inet6Text(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }
  const embeddedV4 = bestStart === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff));
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += '::';
      i += bestLength - 1;
      continue;
    }
    if (text !== '' && !text.endsWith(':')) text += ':';
    if (embeddedV4 && i === 6) return text + inet4Text(bytes.subarray(12));
    text += groups[i]!.toString(16);
  }
  return text;
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** 16 bytes → lower-case 8-4-4-4-12. */
export function uuidText(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text += '-';
    text += HEX[bytes[i]!];
  }
  return text;
}
