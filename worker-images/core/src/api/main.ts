import { run } from './start.js';

void run();
