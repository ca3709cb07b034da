import { run } from '../rolling-deploy/main.js';

void run();
