// plugin.json's System Console settings schema, typed: the plugin's custom setting components and the standalone
// host's admin page both render from it.
import manifest from '../../plugin.json';

export interface SchemaSetting {
  key: string;
  display_name: string;
  type: string;
  help_text: string;
  default?: unknown;
  options?: Array<{display_name: string; value: string}>;
}

export interface SchemaSection {
  key: string;
  title: string;
  subtitle?: string;
  settings: SchemaSetting[];
}

export const schemaSections: SchemaSection[] = (manifest as unknown as {settings_schema: {sections: SchemaSection[]}})
  .settings_schema.sections;
