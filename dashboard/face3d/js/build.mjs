// Bundles src/index.js and the parts of three.js it uses into ../frontend/face3d.js (minified,
// ES module: Streamlit's component-v2 loader imports it), and copies three.js's licence beside it.
import { copyFileSync } from "node:fs";
import { build } from "esbuild";

await build({
  entryPoints: ["src/index.js"],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  legalComments: "eof",
  outfile: "../frontend/face3d.js",
});
copyFileSync("node_modules/three/LICENSE", "../frontend/THREE_LICENSE.txt");
