// Validation with the server's own rules: the report's JSON Schema from
// /api/v1/openapi.json and the vocabularies (required fields per kind,
// country codes) from /api/v1/vocabularies, both cached for offline use.
// This interprets the published schema; it holds no rules of its own.
import { DEVICE_FIELDS } from "./units.js";

function typeOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (Number.isInteger(value)) return "integer";
  return typeof value;
}

function typeMatches(types, value) {
  const actual = typeOf(value);
  return types.some((t) => t === actual || (t === "number" && actual === "integer"));
}

function resolve(openapi, schema) {
  if (schema && schema.$ref) {
    const path = schema.$ref.replace(/^#\//, "").split("/");
    return path.reduce((node, key) => node[key], openapi);
  }
  return schema;
}

// Errors of value against schema, as {path: [code]} with codes the UI words.
export function check(openapi, schemaIn, value, path, errors) {
  const schema = resolve(openapi, schemaIn);
  if (!schema) return;
  const add = (code) => (errors[path] = [...(errors[path] || []), code]);
  if (schema.anyOf) {
    const fits = schema.anyOf.some((s) => {
      const e = {};
      check(openapi, s, value, path, e);
      return Object.keys(e).length === 0;
    });
    if (!fits) {
      const first = schema.anyOf.find((s) => !(s.type === "null"));
      check(openapi, first, value, path, errors);
    }
    return;
  }
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!typeMatches(types, value)) return add("wrong_type");
  }
  if (value === null) return;
  if (schema.enum && !schema.enum.includes(value)) add("not_allowed");
  if (typeof value === "string") {
    if (schema.maxLength !== undefined && value.length > schema.maxLength) add("too_long");
    if (schema.minLength !== undefined && value.length < schema.minLength) add("required");
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) add("wrong_type");
  }
  if (typeof value === "number") {
    if ((schema.minimum !== undefined && value < schema.minimum) || (schema.maximum !== undefined && value > schema.maximum)) add("out_of_range");
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => check(openapi, schema.items, item, `${path}.${i}`, errors));
  if (typeOf(value) === "object") {
    for (const key of schema.required || []) if (value[key] === undefined || value[key] === null) errors[`${path}.${key}`] = ["required"];
    for (const [key, item] of Object.entries(value)) {
      const sub = (schema.properties || {})[key] ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
      if (sub) check(openapi, sub, item, `${path}.${key}`, errors);
      else if (schema.additionalProperties === false) errors[`${path}.${key}`] = ["not_allowed"];
    }
  }
}

function empty(value) {
  return value === undefined || value === null || value === "" || (typeof value === "object" && Object.keys(value).length === 0);
}

// Errors of a whole local document (device fields) before it is saved.
export function validateDocument(rules, doc, creating) {
  const errors = {};
  const schema = rules.openapi.components.schemas.ReportDocument;
  for (const key of DEVICE_FIELDS) {
    if (doc[key] !== undefined && schema.properties[key]) check(rules.openapi, schema.properties[key], doc[key], key, errors);
  }
  const codes = new Set(rules.vocabularies.countries.map((c) => c.code));
  if (doc.destination_country && !codes.has(doc.destination_country)) errors.destination_country = ["not_allowed"];
  for (const [id, person] of Object.entries(doc.persons || {})) {
    if (person.nationality && !codes.has(person.nationality)) errors[`persons.${id}.nationality`] = ["not_allowed"];
  }
  for (const [flag, needs] of Object.entries(rules.vocabularies.required.when_true || {})) {
    for (const key of needs) if (doc[flag] === true && empty(doc[key])) errors[key] = ["required"];
  }
  if (creating) {
    const required = [...rules.vocabularies.required.always, ...(rules.vocabularies.required.by_kind[doc.kind] || [])];
    for (const key of required) if (empty(doc[key])) errors[key] = ["required"];
  }
  return errors;
}
