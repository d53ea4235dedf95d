export interface ReadOptions {
  /** Called as bytes are consumed: total bytes read so far and the size of all input files. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}
