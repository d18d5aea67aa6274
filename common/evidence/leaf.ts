// Moved to common/formats/leaf/leaf.ts; this re-export keeps importers that have not moved yet working.
export * from "../formats/leaf/leaf.ts";
