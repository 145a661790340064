// dev account 0's balances.Account entry (spec/state.md keys)
>> {"jsonrpc":"2.0","id":1,"method":"state_getStorage","params":["0xa65b1ef8ee6544359221f3cf316f7683f0729608244859f656d32ae4cbc6b036e9707d0e6171f728f7473c24cc0432a9f39fd6e51aad88f6f4ce6ab8827279cfffb92266"]}
<< {"jsonrpc":"2.0","id":1,"result":"0xcd8a021e19e0c9bab24000008080"}
