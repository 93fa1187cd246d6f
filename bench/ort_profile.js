// ort_profile.js - ONNX Runtime's own per-node profile, for bench/layers.
//
//   node ort_profile.js MODEL.onnx THREADS WARMUP ITERS INPUT.bin|- D0,D1,... OUTPREFIX
//
// Same session options as bench/ort_worker.js (graph optimisation 'all',
// THREADS intra-op threads, sequential), plus enableProfiling: ORT writes
// one JSON trace with an event per node and run.  The input is INPUT.bin
// (raw float32) or, with '-', every element 0.5.  Prints the trace's path.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

(async () => {
  const [model, threads, warmup, iters, input, dims, prefix] = process.argv.slice(2);
  if (!prefix) {
    console.error('usage: node ort_profile.js MODEL THREADS WARMUP ITERS INPUT|- DIMS OUTPREFIX');
    process.exit(2);
  }
  const shape = dims.split(',').map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  let data = new Float32Array(n).fill(0.5);
  if (input !== '-') {
    const buf = fs.readFileSync(input);
    data = new Float32Array(buf.byteLength / 4);
    new Uint8Array(data.buffer).set(buf);
  }
  const s = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: parseInt(threads, 10),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableProfiling: true,
    profileFilePrefix: prefix,
  });
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  for (let i = 0; i < parseInt(warmup, 10) + parseInt(iters, 10); i++) await s.run(feeds);
  s.endProfiling();
  await s.release();
})().catch((e) => {
  console.error(`ort_profile: ${e.message || e}`);
  process.exit(1);
});
