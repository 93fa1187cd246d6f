// ort_worker.js - the ONNX Runtime side of `make bench`.
//
// One long-lived process for the whole run (bench/run starts it with
// NODE_PATH pointing at BUILD/ort/node_modules), so that sessions are
// created once per model and thread count and timing can be interleaved
// with the resc driver.  Line protocol (see bench/driver.c):
//
//   load MODEL.onnx THREADS INPUT.bin D0,D1,...  <- ok threads=N
//   run K                                        <- ok T1 ... TK  (seconds)
//   save PATH                                    <- ok  (output 0, raw float32)
//   anything that fails                          <- err MESSAGE
//
// Session options are ORT's recommended CPU latency setup: all graph
// optimisations, N intra-op threads, one inter-op thread, sequential
// execution.  Only session.run is timed (it includes ORT's own output
// allocation, which is part of using ORT).
'use strict';
const fs = require('fs');
const readline = require('readline');
const ort = require('onnxruntime-node');

let session = null;
let feeds = null;
let output = null;

async function load(model, threads, inputPath, dims) {
  if (session) await session.release();
  session = null;
  const n = parseInt(threads, 10);
  session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: n,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const buf = fs.readFileSync(inputPath);
  // Copy into an aligned Float32Array (a Buffer's offset may be unaligned).
  const data = new Float32Array(buf.byteLength / 4);
  new Uint8Array(data.buffer).set(buf);
  const shape = dims.split(',').map(Number);
  feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  output = null;
  return `threads=${n}`;
}

async function run(k) {
  const times = [];
  for (let i = 0; i < k; i++) {
    const t0 = process.hrtime.bigint();
    const r = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) * 1e-9);
    output = r[session.outputNames[0]];
  }
  return times.map((t) => t.toFixed(9)).join(' ');
}

async function handle(line) {
  const [cmd, ...args] = line.trim().split(/\s+/);
  if (cmd === 'load' && args.length === 4) return load(...args);
  if (cmd === 'run' && session && parseInt(args[0], 10) >= 1) return run(parseInt(args[0], 10));
  if (cmd === 'save' && output) {
    const d = output.data;
    fs.writeFileSync(args[0], Buffer.from(d.buffer, d.byteOffset, d.byteLength));
    return '';
  }
  throw new Error(`bad command: ${line}`);
}

async function main() {
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    let reply;
    try {
      reply = 'ok ' + (await handle(line));
    } catch (e) {
      reply = 'err ' + String(e.message || e).replace(/\s+/g, ' ');
    }
    process.stdout.write(reply.trimEnd() + '\n');
  }
  if (session) await session.release();
}

main();
