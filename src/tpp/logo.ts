// A TPP's logo, shown on the consent page: an https URL, or a small image inline as a data URL whose bytes are
// checked to be the image type it claims. Never SVG (a document that can carry script), never http (a network
// attacker could swap it), never a URL with credentials in it.
export class LogoError extends Error {
  override name = 'LogoError';
}

const URL_LENGTH_MAX = 2000;
/** Inline logos are small: 48 KiB of image, 64 KiB of base64. */
const DATA_URL_IMAGE_BYTES_MAX = 48 * 1024;

/** The image types a data URL may hold, by the bytes every file of the type starts with. */
const MAGIC: Readonly<Record<string, (bytes: Buffer) => boolean>> = {
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => b.subarray(0, 6).toString('latin1') === 'GIF87a' || b.subarray(0, 6).toString('latin1') === 'GIF89a',
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
};

const DATA_URL = /^data:(image\/[a-z]+);base64,([A-Za-z0-9+/]+={0,2})$/;

/** The logo as it will be stored, or a LogoError saying what is wrong. */
export function validateLogoUri(uri: string): string {
  const data = DATA_URL.exec(uri);
  if (uri.startsWith('data:')) {
    const check = data && MAGIC[data[1]!];
    if (!data || !check) throw new LogoError(`a logo data URL must be data:<${Object.keys(MAGIC).join('|')}>;base64,<image>`);
    const bytes = Buffer.from(data[2]!, 'base64');
    if (bytes.length > DATA_URL_IMAGE_BYTES_MAX) throw new LogoError(`an inline logo must be at most ${DATA_URL_IMAGE_BYTES_MAX / 1024} KiB`);
    if (!check(bytes)) throw new LogoError(`the logo data URL says ${data[1]} but its bytes are not one`);
    return uri;
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new LogoError('the logo must be an https URL or an image data URL');
  }
  if (url.protocol !== 'https:' || url.username || url.password || uri.length > URL_LENGTH_MAX) {
    throw new LogoError(`the logo URL must be https, without credentials, at most ${URL_LENGTH_MAX} characters`);
  }
  return url.href;
}

/** What the consent page's img-src must allow for this (validated) logo: its origin, or inline data. */
export function logoImageSource(logoUri: string): string {
  return logoUri.startsWith('data:') ? 'data:' : new URL(logoUri).origin;
}
