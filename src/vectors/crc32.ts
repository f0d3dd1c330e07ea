// CRC-32 as in ISO-HDLC / zlib / PNG (polynomial 0xEDB88320, reflected, initial and final XOR
// 0xFFFFFFFF). It guards snapshot files against damage (truncation, flipped bits), not against
// tampering: whoever can write the data dir can write anything. Check value: "123456789" → 0xCBF43926.
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The CRC-32 of `bytes`, as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
