FROM node:20-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY . .
COPY --from=frontend /app/node_modules ./node_modules
RUN pip install --no-cache-dir . \
 && DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-only IMS_AUDIT_KEY=collectstatic-only IMS_ALLOW_LOCAL_CACHE=true python manage.py collectstatic --noinput
RUN useradd --system ims && mkdir -p /app/data /var/lib/ims-audit && chown ims /app/data /var/lib/ims-audit
USER ims
EXPOSE 8000
CMD ["gunicorn", "ims.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
