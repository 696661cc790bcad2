// Open report pages in headless Chromium and say what a person would see, as JSON on stdout.
//
// node browse.mjs <spec.json>, spec: {reportsDir, baseUrl, pages: [path], screenshotDir,
// userDataDir, chromium, tablePages: [path], choices: {path: {combobox: label, option: value}}}:
// a page in tablePages has tables and no chart and is ready once a table has rows; after the first
// look at a page with a choice, the script picks the option in that Dropdown and reads the page
// again (textAfterChoice). Every request outside 127.0.0.1 is aborted and recorded, so a page
// that needs the internet fails its test instead of working on a connected machine only.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { openOfflineChromium } from '../support/offline_chromium.mjs';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { context, outside } = await openOfflineChromium(spec, { width: 1400, height: 1000 });

const results = [];
for (const pagePath of spec.pages) {
	const page = await context.newPage();
	const consoleErrors = [];
	const pageErrors = [];
	const failedRequests = [];
	page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
	page.on('pageerror', (e) => pageErrors.push(String(e)));
	page.on('requestfailed', (r) => failedRequests.push(`${r.url()} ${r.failure()?.errorText}`));
	page.on('response', (r) => r.status() >= 400 && failedRequests.push(`${r.url()} HTTP ${r.status()}`));
	const name = pagePath === '/' ? 'index' : pagePath.replace(/^\//, '').replace(/\//g, '_');
	const result = { path: pagePath, name, consoleErrors, pageErrors, failedRequests };
	try {
		await page.goto(spec.baseUrl + pagePath, { waitUntil: 'networkidle', timeout: 60000 });
		// the page is interactive once the browser's DuckDB has answered the queries: charts
		// are drawn by ECharts into a canvas (or svg) inside an element it marks; a page of
		// tables only (spec.tablePages) once a table has its rows
		const tables = (spec.tablePages || []).includes(pagePath);
		const ready = tables ? 'table tr td' : '[_echarts_instance_] canvas, [_echarts_instance_] svg';
		await page.waitForSelector(ready, { timeout: 60000, state: tables ? 'attached' : 'visible' });
		await page.waitForLoadState('networkidle');
		await page.waitForTimeout(2000); // chart animations
		result.charts = await page.locator('[_echarts_instance_]').count();
		result.drawnCharts = await page
			.locator('[_echarts_instance_] canvas, [_echarts_instance_] svg')
			.count();
		result.text = await page.locator('body').innerText();
		result.title = await page.title();
		// the links in the page's order (the sidebar's among them) and the logo shown
		result.links = await page.$$eval('a[href]', (as) =>
			as.map((a) => [a.getAttribute('href'), a.innerText.trim()])
		);
		result.logos = await page.$$eval('img[alt="logo"]', (imgs) =>
			imgs.map((i) => i.getAttribute('src'))
		);
		// a table or chart wider than the box it sits in is cut off (or needs a sideways scroll)
		result.cutOff = await page.evaluate(() => {
			const out = [];
			for (const el of document.querySelectorAll('table, [_echarts_instance_]')) {
				const box = el.parentElement;
				const width = el.getBoundingClientRect().width;
				if (box && width > box.clientWidth + 1) {
					const what = el.tagName === 'TABLE' ? 'table' : 'chart';
					const head = (el.innerText || '').split('\n')[0].slice(0, 80);
					out.push(`${what} ${Math.round(width)}px in ${box.clientWidth}px: ${head}`);
				}
			}
			return out;
		});
		result.screenshot = path.join(spec.screenshotDir, `${name}.png`);
		await page.screenshot({ path: result.screenshot, fullPage: true });
		const choice = (spec.choices || {})[pagePath];
		if (choice) {
			const box = page.getByRole('combobox', { name: choice.combobox });
			await box.click();
			await page.getByRole('option', { name: choice.option, exact: true }).click();
			await page.keyboard.press('Escape');
			await page.waitForLoadState('networkidle');
			await page.waitForTimeout(2000);
			result.choiceShown = await box.innerText();
			result.textAfterChoice = await page.locator('body').innerText();
		}
	} catch (e) {
		result.error = String(e);
	}
	results.push(result);
	await page.close();
}
await context.close();
process.stdout.write(JSON.stringify({ outside, pages: results }));
