// Renders /openapi.json as a list of operations, grouped by tag. No framework, no CDN, no innerHTML:
// every string from the document is set as text, so nothing in it can run as markup.
const api = document.getElementById("api");
const filter = document.getElementById("filter");

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function resolve(doc, schema) {
  const ref = schema && schema.$ref;
  if (!ref || !ref.startsWith("#/")) return schema || {};
  return ref.slice(2).split("/").reduce((node, part) => (node || {})[part], doc) || {};
}

function schemaText(doc, schema, depth = 0) {
  schema = resolve(doc, schema);
  const pad = "  ".repeat(depth);
  if (depth > 6) return `${pad}…`;
  if (schema.type === "object" && schema.properties) {
    const required = new Set(schema.required || []);
    return Object.entries(schema.properties).map(([name, sub]) => {
      const s = resolve(doc, sub);
      const kind = Array.isArray(s.type) ? s.type.join("|") : (s.type || s.anyOf?.map((a) => a.type).join("|") || "any");
      const extra = s.enum ? ` one of ${s.enum.join(", ")}` : "";
      const line = `${pad}${name}${required.has(name) ? " (required)" : ""}: ${kind}${extra}`;
      const nested = s.type === "object" && s.properties ? `\n${schemaText(doc, s, depth + 1)}`
        : s.type === "array" && resolve(doc, s.items).properties ? `\n${schemaText(doc, resolve(doc, s.items), depth + 1)}` : "";
      return line + nested;
    }).join("\n");
  }
  return `${pad}${schema.type || "any"}`;
}

function operation(doc, path, method, op, schemes) {
  const summary = el("summary", {}, el("span", { class: "method" }, method), el("span", { class: "path" }, path));
  if ((op.security || []).length) summary.append(el("span", { class: "badge", title: "Needs an API key" }, "API key"));
  const box = el("details", { "data-search": `${method} ${path} ${(op.tags || []).join(" ")}`.toLowerCase() }, summary);
  if (op.summary) box.append(el("p", {}, op.summary));
  if (op.description) box.append(el("p", { class: "muted" }, op.description));
  for (const req of op.security || []) {
    for (const name of Object.keys(req)) {
      const scheme = schemes[name] || {};
      box.append(el("p", {}, `Authentication: ${scheme.name || name} header. ${scheme.description || ""}`));
    }
  }
  const params = (op.parameters || []).filter((p) => !(p.in === "header" && p.name === "Authorization"));
  if (params.length) {
    const rows = params.map((p) => el("tr", {}, el("td", {}, p.name), el("td", {}, p.in), el("td", {}, resolve(doc, p.schema).type || "")));
    box.append(el("h4", {}, "Parameters"), el("table", {}, ...rows));
  }
  const body = op.requestBody && op.requestBody.content;
  if (body) {
    for (const [type, media] of Object.entries(body)) {
      box.append(el("h4", {}, `Request body (${type})`), el("pre", {}, schemaText(doc, media.schema)));
    }
  }
  const codes = Object.entries(op.responses || {}).map(([code, r]) => el("tr", {}, el("td", {}, code), el("td", {}, r.description || "")));
  if (codes.length) box.append(el("h4", {}, "Responses"), el("table", {}, ...codes));
  return box;
}

function render(doc) {
  const schemes = (doc.components || {}).securitySchemes || {};
  const groups = new Map();
  for (const [path, ops] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags || ["Other"])[0];
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push(operation(doc, path, method, op, schemes));
    }
  }
  const about = new Map((doc.tags || []).map((t) => [t.name, t.description]));
  api.replaceChildren();
  if (doc.info && doc.info.description) api.append(el("p", {}, doc.info.description));
  for (const [tag, ops] of groups) {
    const section = el("section", { "aria-label": tag }, el("h2", {}, tag));
    if (about.get(tag)) section.append(el("p", { class: "muted" }, about.get(tag)));
    section.append(...ops);
    api.append(section);
  }
}

filter.addEventListener("input", () => {
  const needle = filter.value.trim().toLowerCase();
  for (const box of api.querySelectorAll("details")) box.hidden = needle !== "" && !box.dataset.search.includes(needle);
  for (const section of api.querySelectorAll("section")) {
    section.hidden = [...section.querySelectorAll("details")].every((d) => d.hidden);
  }
});

fetch("/openapi.json", { credentials: "omit" })
  .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
  .then(render)
  .catch((e) => api.replaceChildren(el("p", {}, `Could not load /openapi.json: ${e.message}`)));
