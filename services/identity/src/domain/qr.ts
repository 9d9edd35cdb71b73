import QRCode from 'qrcode';

export type QrFormat = 'svg' | 'png';

/**
 * Server-side QR rendering is for print (activation letters) and for clients that ask; the
 * resident's phone renders its live QR itself. ECC level M: a phone screen is clean, and the
 * extra redundancy of Q/H would only add modules.
 */
export async function renderQr(text: string, format: QrFormat): Promise<Buffer> {
  if (format === 'svg') {
    return Buffer.from(
      await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 }),
    );
  }
  return QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 6 });
}
