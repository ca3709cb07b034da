import { run } from '../build-push/post.js';

void run();
