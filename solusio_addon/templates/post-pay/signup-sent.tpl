<section class="card form-card wide" id="signup-sent">
  <p role="status">{{ message }}</p>
  <p class="muted small">Nothing arrived? Check your spam folder, or sign up again to get a new link (only the newest link works).</p>
</section>
