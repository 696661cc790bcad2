// Headless Debian Chromium that cannot reach the internet, for the browser tests.
//
// openOfflineChromium(spec, viewport) reads playwright-core from the reports project (a
// devDependency there, not of the tests), launches spec.chromium with a persistent profile in
// spec.userDataDir, and aborts every request outside 127.0.0.1, recording it in `outside`, so
// a page that needs the internet fails its test instead of working on a connected machine only.
import { createRequire } from 'node:module';
import path from 'node:path';

export async function openOfflineChromium(spec, viewport) {
	const require = createRequire(path.join(spec.reportsDir, 'package.json'));
	const { chromium } = require('playwright-core');
	const context = await chromium.launchPersistentContext(spec.userDataDir, {
		executablePath: spec.chromium,
		headless: true,
		args: [
			'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'
		],
		viewport,
		serviceWorkers: 'block'
	});
	const outside = [];
	await context.route('**/*', (route) => {
		const url = new URL(route.request().url());
		if (['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) && url.hostname !== '127.0.0.1') {
			outside.push(url.href);
			return route.abort();
		}
		return route.continue();
	});
	return { context, outside };
}
