// token symbol and decimals from the chain spec
>> {"jsonrpc":"2.0","id":1,"method":"system_properties"}
<< {"jsonrpc":"2.0","id":1,"result":{"tokenSymbol":"FLOCK","tokenDecimals":18}}
