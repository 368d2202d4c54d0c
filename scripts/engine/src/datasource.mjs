// Which database to reach: the provider comes from the schema the Python
// client hands over (PRISMA_DML_PATH), the URL from OVERWRITE_DATASOURCES
// (the client's resolved URL) or else from the schema's datasource block.

const PROVIDERS = {
  sqlite: 'sqlite',
  postgresql: 'postgresql',
  postgres: 'postgresql',
  mysql: 'mysql',
};

function datasourceBlock(datamodel) {
  const match = /datasource\s+(\w+)\s*\{([^}]*)\}/m.exec(datamodel);
  if (!match) throw new Error('the schema has no datasource block');
  return { name: match[1], body: match[2] };
}

function readSetting(body, key) {
  const literal = new RegExp(`^\\s*${key}\\s*=\\s*"([^"]*)"`, 'm').exec(body);
  if (literal) return { value: literal[1] };
  const fromEnv = new RegExp(`^\\s*${key}\\s*=\\s*env\\(\\s*"([^"]+)"\\s*\\)`, 'm').exec(body);
  if (fromEnv) return { env: fromEnv[1] };
  return undefined;
}

/**
 * @param {string} datamodel the schema text
 * @param {NodeJS.ProcessEnv} env
 * @returns {{provider: 'sqlite'|'postgresql'|'mysql', url: string}}
 */
export function resolveDatasource(datamodel, env) {
  const { name, body } = datasourceBlock(datamodel);
  const providerSetting = readSetting(body, 'provider');
  const provider = PROVIDERS[providerSetting?.value];
  if (!provider) {
    throw new Error(`unsupported datasource provider ${JSON.stringify(providerSetting?.value)} (sqlite, postgresql and mysql are)`);
  }

  let url;
  if (env.OVERWRITE_DATASOURCES) {
    const overrides = JSON.parse(env.OVERWRITE_DATASOURCES);
    url = overrides.find((item) => item.name === name)?.url ?? overrides[0]?.url;
  }
  if (!url) {
    const urlSetting = readSetting(body, 'url');
    if (urlSetting?.env) {
      url = env[urlSetting.env];
      if (!url) throw new Error(`environment variable ${urlSetting.env} (the datasource url) is not set`);
    } else {
      url = urlSetting?.value;
    }
  }
  if (!url) throw new Error('the datasource has no url');
  return { provider, url };
}

/** The URL without its password, for messages. */
export function redactUrl(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
