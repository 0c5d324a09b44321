// face3d: the subject's face before and after treatment as two WebGL views that share ONE
// camera (turning or zooming either turns both). Streamlit component v2 (no iframe): Streamlit
// calls the default export on mount and again whenever the Python side sends new data.
//
// data = {scene, state}: `scene` (geometry, photo texture, marker and muscle positions) is
// built once per scene id; `state` (displacement, colour scale, muscle colours) only updates
// the after view's vertex buffers, so a new dose or day never reloads the scene or the camera.
import {
  BufferAttribute,
  BufferGeometry,
  DataTexture,
  DoubleSide,
  LinearFilter,
  LinearMipmapLinearFilter,
  Mesh,
  MeshBasicMaterial,
  NoColorSpace,
  PerspectiveCamera,
  Raycaster,
  RGBAFormat,
  Scene,
  ShaderMaterial,
  SphereGeometry,
  SRGBColorSpace,
  Texture,
  TubeGeometry,
  CatmullRomCurve3,
  Color,
  Vector3,
  WebGLRenderer,
} from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";

const ASPECT = 480 / 560; // width / height of each view at most, as the app's 2D renders
const BACKGROUND = 0x0e1117;
const TURN_LIMIT = (80 * Math.PI) / 180;
const TILT_LIMIT = (60 * Math.PI) / 180;
const LIFT_MM = 0.8; // markers and muscles float this far off the skin so it never hides them

const VERTEX_SHADER = /* glsl */ `
attribute float heat;
varying vec2 vUv;
varying vec3 vNormal;
varying vec3 vView;
varying float vHeat;
void main() {
  vUv = uv;
  vHeat = heat;
  vec4 mv = modelViewMatrix * vec4(position, 1.0);
  vView = -mv.xyz;
  vNormal = normalMatrix * normal;
  gl_Position = projectionMatrix * mv;
}`;

// Photo texture lit by a head light (as the off-screen renders: ambient 0.55 + diffuse 0.5),
// then the heat map blended over it, transparent where nothing moves.
const FRAGMENT_SHADER = /* glsl */ `
uniform sampler2D map;
uniform sampler2D lut;
uniform float heatOn;
uniform float heatMax;
uniform float opacity[5];
varying vec2 vUv;
varying vec3 vNormal;
varying vec3 vView;
varying float vHeat;
float heatAlpha(float t) {
  float x = t * 4.0;
  int i = int(min(floor(x), 3.0));
  float f = x - float(i);
  float a = opacity[0];
  float b = opacity[1];
  if (i == 1) { a = opacity[1]; b = opacity[2]; }
  if (i == 2) { a = opacity[2]; b = opacity[3]; }
  if (i == 3) { a = opacity[3]; b = opacity[4]; }
  return mix(a, b, f);
}
void main() {
  vec3 n = normalize(vNormal);
  if (!gl_FrontFacing) n = -n;
  vec3 l = normalize(vec3(0.0, 0.25, 1.0));
  float diffuse = max(dot(n, l), 0.0);
  vec3 h = normalize(l + normalize(vView));
  float spec = pow(max(dot(n, h), 0.0), 40.0) * 0.06;
  vec3 base = texture2D(map, vUv).rgb;
  vec3 colour = base * (0.55 + 0.5 * diffuse) + spec;
  if (heatOn > 0.5) {
    float t = clamp(vHeat / max(heatMax, 1e-6), 0.0, 1.0);
    vec3 hc = texture2D(lut, vec2(t, 0.5)).rgb * (0.8 + 0.3 * diffuse);
    colour = mix(colour, hc, heatAlpha(t));
  }
  if (!gl_FrontFacing) colour *= 0.45;
  gl_FragColor = vec4(colour, 1.0);
}`;

// Text inherits the app's colours (light or dark theme); the 3D views keep the renders' dark
// background, on which the photo and the heat map read best.
const STYLE = `
.face3d { font-family: inherit; color: inherit; }
.face3d .views { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.face3d .view { position: relative; min-width: 0; }
.face3d .title { font-size: 1.05rem; font-weight: 600; margin: 0 0 6px; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
.face3d canvas { display: block; width: 100%; border-radius: 8px; touch-action: none;
  cursor: grab; background: #0e1117; }
.face3d canvas:active { cursor: grabbing; }
.face3d .legend { font-size: 0.85rem; min-height: 3.2em; padding: 0 10px; margin-top: 8px; }
.face3d .bar { height: 14px; border-radius: 3px; border: 1px solid rgba(128, 128, 128, 0.5); }
.face3d .ticks { position: relative; height: 1.3em; margin-top: 2px; font-variant-numeric: tabular-nums; }
.face3d .ticks span { position: absolute; transform: translateX(-50%); white-space: nowrap; }
.face3d .ticks span:first-child { transform: none; }
.face3d .ticks span:last-child { transform: translateX(-100%); }
.face3d .caption { opacity: 0.75; }
.face3d .toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px;
  margin-top: 4px; font-size: 0.85rem; }
.face3d .hint { opacity: 0.7; }
.face3d button { font: inherit; color: inherit; background: transparent;
  border: 1px solid rgba(128, 128, 128, 0.6); border-radius: 8px; padding: 4px 14px;
  cursor: pointer; }
.face3d button:hover { border-color: #ff4b4b; color: #ff4b4b; }
.face3d .error { color: #e03131; font-size: 0.9rem; }
@media (max-width: 520px) {
  .face3d .views { grid-template-columns: 1fr; }
}`;

const instances = new WeakMap();

function decode(b64, Type) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Type(bytes.buffer);
}

function el(tag, className, parent, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

function lutTexture(stops) {
  const n = 256;
  const data = new Uint8Array(n * 4);
  const cs = stops.map(([t, hex]) => [t, new Color(hex)]);
  for (let i = 0; i < n; i++) {
    const t = i / (n - 1);
    let k = 0;
    while (k < cs.length - 2 && t > cs[k + 1][0]) k++;
    const [t0, c0] = cs[k];
    const [t1, c1] = cs[k + 1];
    const f = Math.min(Math.max((t - t0) / (t1 - t0 || 1), 0), 1);
    data[i * 4] = Math.round(255 * (c0.r + f * (c1.r - c0.r)));
    data[i * 4 + 1] = Math.round(255 * (c0.g + f * (c1.g - c0.g)));
    data[i * 4 + 2] = Math.round(255 * (c0.b + f * (c1.b - c0.b)));
    data[i * 4 + 3] = 255;
  }
  const tex = new DataTexture(data, n, 1, RGBAFormat);
  tex.colorSpace = NoColorSpace;
  tex.magFilter = LinearFilter;
  tex.minFilter = LinearFilter;
  tex.needsUpdate = true;
  return tex;
}

// Colours are given as the sRGB hex the app uses; with ColorManagement they would be
// converted to linear and back, so set the raw values to keep them exactly.
function rawColour(hex) {
  const c = new Color();
  c.setRGB(
    parseInt(hex.slice(1, 3), 16) / 255,
    parseInt(hex.slice(3, 5), 16) / 255,
    parseInt(hex.slice(5, 7), 16) / 255,
    SRGBColorSpace,
  );
  return c;
}

class Face3D {
  constructor(parent) {
    this.parent = parent;
    this.sceneId = null;
    this.stateVersion = null;
    this.sceneBuilds = 0;
    this.stateUpdates = 0;
    this.frames = [0, 0];
    this.mountedAt = performance.now();
    this.root = el("div", "face3d");
    const style = el("style", null, null, STYLE);
    parent.appendChild(style);
    parent.appendChild(this.root);
    this.dom();
  }

  dom() {
    const views = el("div", "views", this.root);
    const toolbar = el("div", "toolbar", this.root);
    this.views = [0, 1].map((i) => {
      const v = el("div", "view", views);
      const title = el("div", "title", v, i === 0 ? "Before" : "After");
      const canvas = el("canvas", null, v);
      canvas.dataset.view = i === 0 ? "before" : "after";
      canvas.setAttribute("role", "img");
      canvas.setAttribute(
        "aria-label",
        `3D face ${i === 0 ? "before" : "after"} treatment: drag to turn, scroll to zoom, double-click to reset`,
      );
      canvas.addEventListener("dblclick", () => this.resetCamera());
      return { box: v, title, canvas };
    });
    // Each legend sits under its own view, so it stays with it when narrow screens stack them.
    this.legendBefore = el("div", "legend", this.views[0].box);
    this.legendAfter = el("div", "legend", this.views[1].box);
    this.resetButton = el("button", null, toolbar, "Reset view");
    this.resetButton.type = "button";
    this.resetButton.addEventListener("click", () => this.resetCamera());
    el("span", "hint", toolbar, "Drag to turn the face, scroll or pinch to zoom, double-click to reset: both views move together.");
  }

  setupGl() {
    this.camera = new PerspectiveCamera(30, ASPECT, 1, 5000);
    this.renderers = this.views.map(({ canvas }) => {
      const r = new WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
      r.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
      r.setClearColor(BACKGROUND, 1);
      return r;
    });
    this.controls = this.views.map(({ canvas }) => {
      const c = new OrbitControls(this.camera, canvas);
      c.enableDamping = false;
      c.enablePan = false;
      c.rotateSpeed = 0.8;
      // The texture is a frontal photo and the mesh an open mask: beyond ~80° to the side or
      // 60° up or down there is only stretched skin or the mask's inside to see.
      c.minAzimuthAngle = -TURN_LIMIT;
      c.maxAzimuthAngle = TURN_LIMIT;
      c.minPolarAngle = Math.PI / 2 - TILT_LIMIT;
      c.maxPolarAngle = Math.PI / 2 + TILT_LIMIT;
      c.addEventListener("change", () => this.requestRender());
      return c;
    });
    this.resize = new ResizeObserver(() => this.layout());
    this.resize.observe(this.root);
    this.onWindowResize = () => this.layout();
    window.addEventListener("resize", this.onWindowResize);
    this.layout();
  }

  // Both canvases take their column's width; the height follows the 480:560 shape of the
  // renders but stays within 60% of the window, so both faces and the legend fit on screen.
  layout() {
    const w = Math.max(1, Math.floor(this.views[0].canvas.clientWidth || this.root.clientWidth / 2));
    const h = Math.max(1, Math.round(Math.min(w / ASPECT, 0.6 * window.innerHeight, 720)));
    for (const r of this.renderers) r.setSize(w, h, false);
    for (const { canvas } of this.views) canvas.style.height = `${h}px`;
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  // A full scene arrives once; later data carry only its id (see component.py). When the id is
  // not the scene held here (a remount, a lost message), ask Python for the whole scene again.
  update(data, setTriggerValue) {
    const t0 = performance.now();
    try {
      if (!this.renderers) this.setupGl();
      const scene = data.scene;
      const d = this.root.dataset;
      d.lastPayloadBytes = String(JSON.stringify(data).length);
      if (scene && scene.positions && scene.id !== this.sceneId) {
        this.buildScene(scene);
        this.scenePayloads = (this.scenePayloads || 0) + 1;
        d.scenePayloads = String(this.scenePayloads);
      } else if (scene && scene.id !== this.sceneId) {
        if (this.requestedScene !== scene.id && setTriggerValue) {
          this.requestedScene = scene.id;
          setTriggerValue("need_scene", scene.id);
        }
        return;
      }
      if (data.state && data.state.version !== this.stateVersion) {
        const t1 = performance.now();
        this.applyState(data.state);
        d.applyMs = String(Math.round((performance.now() - t1) * 10) / 10);
        this.pendingUpdateStart = t0;
      }
      this.requestRender();
    } catch (err) {
      this.fail(err);
    }
  }

  fail(err) {
    this.root.dataset.error = String(err && err.message ? err.message : err);
    let box = this.root.querySelector(".error");
    if (!box) box = el("div", "error", this.root);
    box.textContent = `The 3D view could not be drawn here (${this.root.dataset.error}).`;
  }

  buildScene(s) {
    this.disposeScene();
    this.sceneId = s.id;
    this.stateVersion = null; // the new meshes need the current state again
    this.requestedScene = undefined;
    this.sceneBuilds += 1;
    this.textureReady = false;
    const positions = decode(s.positions, Float32Array);
    const index = s.index32 ? decode(s.index, Uint32Array) : decode(s.index, Uint16Array);
    const uv = decode(s.uv, Float32Array);
    this.base = positions;
    this.nVertices = positions.length / 3;

    const texture = new Texture();
    texture.colorSpace = NoColorSpace;
    texture.minFilter = LinearMipmapLinearFilter;
    texture.generateMipmaps = true;
    const img = new Image();
    img.onload = () => {
      texture.image = img;
      texture.needsUpdate = true;
      this.textureReady = true;
      this.requestRender();
    };
    img.src = s.texture;
    this.texture = texture;
    this.lut = lutTexture(s.colours.stops);

    this.meshes = [0, 1].map((i) => {
      const g = new BufferGeometry();
      g.setAttribute("position", new BufferAttribute(positions.slice(), 3));
      g.setAttribute("uv", new BufferAttribute(uv, 2));
      g.setAttribute("heat", new BufferAttribute(new Float32Array(this.nVertices), 1));
      g.setIndex(new BufferAttribute(index, 1));
      g.computeVertexNormals();
      const m = new ShaderMaterial({
        uniforms: {
          map: { value: texture },
          lut: { value: this.lut },
          heatOn: { value: 0 },
          heatMax: { value: 1 },
          opacity: { value: s.colours.opacity },
        },
        vertexShader: VERTEX_SHADER,
        fragmentShader: FRAGMENT_SHADER,
        side: DoubleSide,
      });
      return new Mesh(g, m);
    });
    this.scenes = this.meshes.map((m) => {
      const sc = new Scene();
      sc.add(m);
      return sc;
    });

    this.points = [];
    this.pointGeometry = new SphereGeometry(1.5, 16, 12);

    this.lines = (s.lines || []).map((line) => this.surfacePath(decode(line, Float32Array)));
    this.lineMeshes = this.lines.map((path) =>
      this.scenes.map((sc) => {
        const mk = new Mesh(
          this.tube(path.points, null),
          new MeshBasicMaterial({ color: rawColour(s.lineColourBefore) }),
        );
        sc.add(mk);
        return mk;
      }),
    );

    // A new scene of the same face (say, muscles recomputed) keeps the camera where it was.
    const sameFace = this.home && JSON.stringify(this.home) === JSON.stringify(s.camera);
    this.home = s.camera;
    if (!sameFace) this.resetCamera();
    this.root.dataset.sceneId = s.id;
    this.root.dataset.sceneBuilds = String(this.sceneBuilds);
  }

  // Each muscle polyline resampled every ~1.5 mm and laid on the skin (a ray from the front),
  // so a straight insertion-to-origin line follows the face's curve instead of cutting it.
  surfacePath(flat) {
    const ray = new Raycaster();
    const down = new Vector3(0, 0, -1);
    const mesh = this.meshes[0];
    const pts = [];
    for (let k = 0; k + 3 < flat.length; k += 3) {
      const a = new Vector3(flat[k], flat[k + 1], flat[k + 2]);
      const b = new Vector3(flat[k + 3], flat[k + 4], flat[k + 5]);
      const steps = Math.max(1, Math.ceil(a.distanceTo(b) / 1.5));
      for (let j = 0; j < steps; j++) pts.push(a.clone().lerp(b, j / steps));
    }
    pts.push(new Vector3(flat[flat.length - 3], flat[flat.length - 2], flat[flat.length - 1]));
    const out = pts.map((p) => {
      ray.set(new Vector3(p.x, p.y, 1000), down);
      const hit = ray.intersectObject(mesh, false)[0];
      const z = hit ? Math.max(hit.point.z, p.z - 3) : p.z;
      return new Vector3(p.x, p.y, z + LIFT_MM);
    });
    const vertex = out.map((p) => this.nearestVertex(p));
    return { points: out, vertex };
  }

  nearestVertex(p) {
    let best = 0;
    let bestD = Infinity;
    const b = this.base;
    for (let i = 0; i < this.nVertices; i++) {
      const dx = b[3 * i] - p.x;
      const dy = b[3 * i + 1] - p.y;
      const dz = b[3 * i + 2] - p.z;
      const d = dx * dx + dy * dy + dz * dz;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }

  tube(points, disp, vertex) {
    const moved = disp
      ? points.map((p, k) => {
          const v = vertex[k];
          return new Vector3(p.x + disp[3 * v], p.y + disp[3 * v + 1], p.z + disp[3 * v + 2]);
        })
      : points;
    const curve = new CatmullRomCurve3(moved, false, "centripetal");
    return new TubeGeometry(curve, Math.max(8, moved.length * 2), 0.45, 6, false);
  }

  applyState(st) {
    if (!this.meshes) return;
    const after = this.meshes[1];
    const disp = st.displacement ? decode(st.displacement, Float32Array) : null;
    const pos = after.geometry.getAttribute("position");
    const heat = after.geometry.getAttribute("heat");
    for (let i = 0; i < this.nVertices; i++) {
      const dx = disp ? disp[3 * i] : 0;
      const dy = disp ? disp[3 * i + 1] : 0;
      const dz = disp ? disp[3 * i + 2] : 0;
      pos.array[3 * i] = this.base[3 * i] + dx;
      pos.array[3 * i + 1] = this.base[3 * i + 1] + dy;
      pos.array[3 * i + 2] = this.base[3 * i + 2] + dz;
      heat.array[i] = Math.hypot(dx, dy, dz);
    }
    pos.needsUpdate = true;
    heat.needsUpdate = true;
    after.geometry.computeVertexNormals();
    after.geometry.computeBoundingSphere();
    const u = after.material.uniforms;
    u.heatOn.value = st.heat && disp ? 1 : 0;
    u.heatMax.value = st.colours.max;

    this.placePoints(st, disp);
    this.lineMeshes.forEach((pair, k) => {
      const mk = pair[1];
      mk.geometry.dispose();
      mk.geometry = this.tube(this.lines[k].points, disp, this.lines[k].vertex);
      const colour = (st.lineColours || [])[k];
      if (colour) mk.material.color.copy(rawColour(colour));
      for (const m of pair) m.visible = st.muscles !== null;
    });

    this.views[0].title.textContent = st.labels[0];
    this.views[1].title.textContent = st.labels[1];
    this.legends(st);
    this.stateVersion = st.version;
    this.root.dataset.stateVersion = st.version;
    this.stateUpdates += 1;
    this.root.dataset.stateUpdates = String(this.stateUpdates);
  }

  // Injection points belong to the plan, not the face: they come with each state, sit on the
  // before face and ride on the after face with their nearest vertex's displacement.
  placePoints(st, disp) {
    for (const p of this.points) for (const m of p.meshes) {
      m.parent.remove(m);
      m.material.dispose();
    }
    this.points = [];
    const pts = st.points ? decode(st.points, Float32Array) : new Float32Array(0);
    for (let k = 0; k < pts.length / 3; k++) {
      const base = new Vector3(pts[3 * k], pts[3 * k + 1], pts[3 * k + 2] + LIFT_MM);
      const v = st.pointVertex[k];
      const meshes = this.scenes.map((sc, i) => {
        const mk = new Mesh(
          this.pointGeometry,
          new MeshBasicMaterial({ color: rawColour(st.pointColour) }),
        );
        mk.position.copy(base);
        if (i === 1 && disp) mk.position.add(new Vector3(disp[3 * v], disp[3 * v + 1], disp[3 * v + 2]));
        sc.add(mk);
        return mk;
      });
      this.points.push({ base, vertex: v, meshes });
    }
  }

  legends(st) {
    const scale = (box, gradient, ticks, caption) => {
      box.replaceChildren();
      const bar = el("div", "bar", box);
      bar.style.background = gradient;
      const tk = el("div", "ticks", box);
      for (const [t, label] of ticks) el("span", null, tk, label).style.left = `${100 * t}%`;
      el("div", "caption", box, caption);
    };
    const c = st.colours;
    if (st.heat && st.displacement) {
      const grad = `linear-gradient(to right, ${c.stops.map(([t, h]) => `${h} ${100 * t}%`).join(", ")})`;
      const span = c.max - c.min || 1;
      scale(
        this.legendAfter,
        grad,
        c.ticks.map(([v, label]) => [(v - c.min) / span, label]),
        c.label,
      );
    } else {
      this.legendAfter.replaceChildren();
    }
    if (st.muscles) {
      const m = st.muscles;
      scale(
        this.legendBefore,
        `linear-gradient(to right, ${m.from}, ${m.to})`,
        [
          [0, "working"],
          [1, "blocked"],
        ],
        m.label,
      );
    } else {
      this.legendBefore.replaceChildren();
    }
  }

  resetCamera() {
    const h = this.home;
    if (!h || !this.controls) return;
    this.camera.fov = h.fov;
    this.camera.position.set(h.target[0], h.target[1], h.target[2] + h.distance);
    this.camera.up.set(0, 1, 0);
    for (const c of this.controls) {
      c.target.set(h.target[0], h.target[1], h.target[2]);
      c.minDistance = 0.35 * h.distance;
      c.maxDistance = 3 * h.distance;
    }
    this.camera.updateProjectionMatrix();
    for (const c of this.controls) c.update();
    this.requestRender();
  }

  requestRender() {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.render();
    });
  }

  render() {
    if (!this.scenes) return;
    const t0 = performance.now();
    this.renderers.forEach((r, i) => {
      r.render(this.scenes[i], this.camera);
      this.frames[i] += 1;
    });
    const d = this.root.dataset;
    d.renderMs = String(Math.round((performance.now() - t0) * 10) / 10);
    const p = this.camera.position;
    d.camera = JSON.stringify([p.x, p.y, p.z].map((x) => Math.round(x * 100) / 100));
    d.framesBefore = String(this.frames[0]);
    d.framesAfter = String(this.frames[1]);
    if (this.textureReady && !d.firstFrameMs) {
      d.firstFrameMs = String(Math.round(performance.now())); // since navigation start
      d.mountToFrameMs = String(Math.round(performance.now() - this.mountedAt));
      d.ready = "1";
    }
    if (this.pendingUpdateStart !== undefined) {
      d.updateMs = String(Math.round((performance.now() - this.pendingUpdateStart) * 10) / 10);
      d.renderedVersion = this.stateVersion; // the state whose frame updateMs timed
      this.pendingUpdateStart = undefined;
    }
  }

  disposeScene() {
    if (!this.scenes) return;
    for (const sc of this.scenes) {
      sc.traverse((o) => {
        if (o.geometry) o.geometry.dispose();
        if (o.material) o.material.dispose();
      });
    }
    if (this.texture) this.texture.dispose();
    if (this.lut) this.lut.dispose();
    this.scenes = null;
  }

  dispose() {
    this.disposeScene();
    if (this.resize) this.resize.disconnect();
    if (this.onWindowResize) window.removeEventListener("resize", this.onWindowResize);
    for (const c of this.controls || []) c.dispose();
    for (const r of this.renderers || []) {
      r.dispose();
      r.forceContextLoss(); // browsers allow few WebGL contexts: give these back now
    }
    this.root.remove();
  }
}

export default function face3d({ data, parentElement, setTriggerValue }) {
  let inst = instances.get(parentElement);
  if (!inst) {
    inst = new Face3D(parentElement);
    instances.set(parentElement, inst);
  }
  if (inst.disposeTimer) {
    clearTimeout(inst.disposeTimer);
    inst.disposeTimer = undefined;
  }
  inst.update(data || {}, setTriggerValue);
  // Streamlit may run the cleanup between two renders of the same element: dispose only when
  // no new render follows (a real unmount), so an update never rebuilds the scene.
  return () => {
    inst.disposeTimer = setTimeout(() => {
      instances.delete(parentElement);
      inst.dispose();
    }, 0);
  };
}
