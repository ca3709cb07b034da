import { run } from '../build-push/main.js';

void run();
