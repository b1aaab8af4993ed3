<section class="demo-landing">Landing for {{ who }}</section>
