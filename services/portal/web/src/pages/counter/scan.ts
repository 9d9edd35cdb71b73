/**
 * Reading a QR code: from the camera frame by frame, or from an uploaded photo. The browser's own
 * BarcodeDetector is used where it reads QR codes; elsewhere jsQR (loaded only when the counter
 * first needs it, so no other page carries it).
 */

type Decoder = (image: ImageData) => Promise<string | undefined>;

interface DetectedBarcode {
  readonly rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: ImageBitmapSource): Promise<DetectedBarcode[]>;
}
interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

let decoder: Promise<Decoder> | undefined;

async function makeDecoder(): Promise<Decoder> {
  const Native = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  try {
    if (Native && (await Native.getSupportedFormats()).includes('qr_code')) {
      const detector = new Native({ formats: ['qr_code'] });
      return async (image) => (await detector.detect(image))[0]?.rawValue;
    }
  } catch {
    // Present but unusable (no platform support): jsQR below.
  }
  // jsqr is CommonJS whose types describe an ES default export: the default import is
  // `module.exports`, the function itself, which also carries itself as `.default`.
  const jsQR = (await import('jsqr')).default.default;
  return async (image) =>
    jsQR(image.data, image.width, image.height, { inversionAttempts: 'attemptBoth' })?.data ||
    undefined;
}

export function qrDecoder(): Promise<Decoder> {
  decoder ??= makeDecoder();
  return decoder;
}

// Larger frames are scaled down to this width: a presentation QR needs about 5 px a module, which
// a phone held at the camera gives well within it, and jsQR's time grows with the pixels.
const MAX_WIDTH = 1280;

function pixelsOf(
  source: CanvasImageSource,
  width: number,
  height: number,
  canvas: HTMLCanvasElement,
): ImageData | undefined {
  if (width === 0 || height === 0) return undefined;
  const scale = Math.min(1, MAX_WIDTH / width);
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) return undefined;
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

/** The text of the QR code in an image file, or undefined if none can be read. */
export async function decodeFile(file: File): Promise<string | undefined> {
  const decode = await qrDecoder();
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return undefined;
  }
  try {
    const pixels = pixelsOf(bitmap, bitmap.width, bitmap.height, document.createElement('canvas'));
    return pixels ? await decode(pixels) : undefined;
  } finally {
    bitmap.close();
  }
}

export interface CameraScan {
  /** Stops the camera (idempotent); the promise of `start` then resolves with undefined. */
  stop(): void;
}

/**
 * Opens the camera into `video` and reads frames until one holds a QR code, which `onCode` gets
 * (the camera is stopped first). Resolves once the camera is running; rejects if it cannot open.
 * Every constraint is `ideal`: a camera that has only one mode (most webcams) still opens.
 */
export async function startCamera(
  video: HTMLVideoElement,
  onCode: (text: string) => void,
): Promise<CameraScan> {
  const decode = await qrDecoder();
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: {
      facingMode: { ideal: 'environment' },
      width: { ideal: 1280 },
      height: { ideal: 720 },
    },
  });
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  video.srcObject = stream;
  video.muted = true;
  video.playsInline = true;
  await video.play().catch(() => undefined);

  const canvas = document.createElement('canvas');
  const tick = async () => {
    timer = undefined;
    // The clerk moved on (another page, the language switch): let the camera go.
    if (stopped || !video.isConnected) {
      stop();
      return;
    }
    const pixels =
      video.readyState >= video.HAVE_CURRENT_DATA
        ? pixelsOf(video, video.videoWidth, video.videoHeight, canvas)
        : undefined;
    const text = pixels ? await decode(pixels).catch(() => undefined) : undefined;
    if (stopped) return;
    if (text) {
      stop();
      onCode(text);
      return;
    }
    timer = setTimeout(() => void tick(), 150);
  };
  void tick();
  return { stop };
}
