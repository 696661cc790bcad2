// Open lineage pages of the Dagster UI in headless Chromium, wait for the graph, save a
// screenshot of each, and say what was drawn, as JSON on stdout.
//
// node lineage_screenshot.mjs <spec.json>, spec: {reportsDir, baseUrl, userDataDir, chromium,
// dismiss: [button label], pages: [{name, path, screenshot, viewport, graphText: [text]}]}: each page
// counts as drawn once every text in graphText is visible inside the graph's svg (the asset
// graph draws each node, and each collapsed group, as HTML inside the svg; the sidebar's group
// tree does not count). Any dialog with a button in dismiss (the UI's "join the community"
// prompt) is clicked away first. Every request outside 127.0.0.1 is aborted and recorded, so a
// page that needs the internet fails its test.
import { readFileSync } from 'node:fs';

import { openOfflineChromium } from '../support/offline_chromium.mjs';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { context, outside } = await openOfflineChromium(spec, { width: 2400, height: 1400 });

const results = [];
for (const spec_page of spec.pages) {
	const page = await context.newPage();
	const pageErrors = [];
	page.on('pageerror', (e) => pageErrors.push(String(e)));
	const result = { name: spec_page.name, path: spec_page.path, pageErrors, dismissed: [] };
	try {
		if (spec_page.viewport) await page.setViewportSize(spec_page.viewport);
		await page.goto(spec.baseUrl + spec_page.path, { waitUntil: 'domcontentloaded', timeout: 60000 });
		const graph = page.locator('svg foreignObject');
		await graph.first().waitFor({ timeout: 60000 });
		await page.waitForLoadState('networkidle');
		for (const label of spec.dismiss || []) {
			const button = page.getByRole('button', { name: label, exact: true });
			if (await button.isVisible()) {
				await button.click();
				result.dismissed.push(label);
			}
		}
		for (const text of spec_page.graphText || []) {
			await graph.getByText(text, { exact: true }).first().waitFor({ timeout: 30000 });
		}
		// a collapsed group reads "N assets (fetching statuses)" until its assets' statuses
		// arrive, and only then shows its count; a busy machine can take seconds for that
		await page.waitForFunction(
			() => !document.body.innerText.includes('fetching statuses'),
			null,
			{ timeout: 60000 }
		);
		await page.waitForTimeout(1500); // the layout settles and the graph is zoomed to fit
		result.graphNodes = await graph.count();
		result.graphText = await graph.evaluateAll((els) => els.map((e) => e.textContent).join('\n'));
		result.title = await page.title();
	} catch (e) {
		result.error = String(e);
	}
	try {
		await page.screenshot({ path: spec_page.screenshot });
		result.screenshot = spec_page.screenshot;
	} catch {}
	results.push(result);
	await page.close();
}
await context.close();
process.stdout.write(JSON.stringify({ outside, pages: results }));
