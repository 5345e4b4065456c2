/**
 * The app runs under `style-src 'self'; script-src 'self'`: no inline style attribute or
 * script in any source file, no eval. (The built dist/ is checked by scripts after build.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('CSP-safe sources', () => {
  const sources = files(join(process.cwd(), 'src')).filter((f) => /\.(svelte|ts|html)$/.test(f));

  it('finds the sources', () => {
    expect(sources.length).toBeGreaterThan(20);
  });

  it.each(sources.map((f) => [f.replace(process.cwd(), ''), f]))('%s has no inline style, script or eval', (_, f) => {
    const text = readFileSync(f, 'utf8');
    expect(text).not.toMatch(/\sstyle=["{]/);
    expect(text).not.toMatch(/\beval\(|new Function\(/);
    expect(text).not.toMatch(/https?:\/\/(?!ipc\.localhost)[^\s'"]*\.(woff2?|ttf|png|jpe?g|css|js)/);
    expect(text).not.toMatch(/localStorage\.setItem|sessionStorage\.setItem/);
  });

  it('index.html loads only its module script', () => {
    const html = readFileSync(join(process.cwd(), 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0][0]).toContain('src=');
    expect(scripts[0][1].trim()).toBe('');
    expect(html).not.toMatch(/<style/);
  });
});
